/** Injection token of the EventStore port (provided by the app that opens the store). */
export const EVENT_STORE = Symbol('EVENT_STORE');
