/** The server secret (a Buffer) the API keys' digests are keyed with. */
export const LEDGER_SECRET = Symbol('LEDGER_SECRET');
