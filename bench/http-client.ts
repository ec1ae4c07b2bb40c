/**
 * A small keep-alive HTTP/1.1 client on node:http: little CPU per request
 * (the load generator shares the machine with the server and PostgreSQL),
 * and a socket limit equal to the concurrency, so that `concurrency` workers
 * hold `concurrency` connections, as the store benchmark's pools do.
 */
import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  /** The raw body; parse it only where the bench needs what it says. */
  text: string;
}

export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path} answered ${status}: ${body.length > 600 ? `${body.slice(0, 600)}…` : body}`);
    this.name = 'HttpError';
  }

  /** The problem-details code of the answer (e.g. INSUFFICIENT_LICENSES), if it has one. */
  get code(): string {
    return problemCode(this.status, this.body);
  }
}

/** `<status> <code>` of an error answer, for counting errors by kind. */
export function problemCode(status: number, body: string): string {
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    return typeof code === 'string' ? `${status} ${code}` : String(status);
  } catch {
    return String(status);
  }
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    maxSockets: number,
    /** Sent with every request (the API key). */
    private readonly defaults: Record<string, string> = {},
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  send(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    return new Promise((done, fail) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: payload ? { 'content-type': 'application/json', 'content-length': String(payload.length), ...this.defaults, ...headers } : { ...this.defaults, ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(payload);
    });
  }

  /** POST a command; anything but `expected` (201) throws an HttpError. */
  async command<T>(path: string, body: unknown, idempotencyKey?: string, expected = 201): Promise<T> {
    const answer = await this.send('POST', path, body, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
    if (answer.status !== expected) throw new HttpError('POST', path, answer.status, answer.text);
    return JSON.parse(answer.text) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `fn` over `items` with at most `concurrency` at a time; the results keep the items' order. */
export async function mapConcurrent<I, O>(items: readonly I[], concurrency: number, fn: (item: I, index: number) => Promise<O>): Promise<O[]> {
  const out = new Array<O>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
