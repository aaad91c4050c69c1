import { request } from 'node:http';
import { connect } from 'node:net';

/** One probe's outcome: undefined when it served, else why not (a sentence's end: "connection refused"). */
export type ProbeResult = string | undefined;

function errorWords(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'ETIMEDOUT') return 'timed out';
  return error.code ?? error.message;
}

/** Does `addr:port` accept a TCP connection within `timeoutMs`? */
export function probeTcp(addr: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((done) => {
    const socket = connect({ host: addr, port });
    const finish = (why: ProbeResult) => {
      socket.destroy();
      done(why);
    };
    socket.setTimeout(timeoutMs, () => finish(`tcp ${addr}:${port}: no answer in ${timeoutMs} ms`));
    socket.once('connect', () => finish(undefined));
    socket.once('error', (error) => finish(`tcp ${addr}:${port}: ${errorWords(error)}`));
  });
}

/** Does a GET of http://addr:port/path answer `status` within `timeoutMs`? (The body is read and dropped.) */
export function probeHttp(addr: string, check: { port: number; path: string; status: number }, timeoutMs: number): Promise<ProbeResult> {
  const url = `http://${addr.includes(':') ? `[${addr}]` : addr}:${check.port}${check.path}`;
  return new Promise((done) => {
    const req = request({ host: addr, port: check.port, path: check.path, method: 'GET', timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.once('end', () => done(res.statusCode === check.status ? undefined : `GET ${url}: status ${res.statusCode}, expected ${check.status}`));
      res.once('error', (error) => done(`GET ${url}: ${errorWords(error)}`));
    });
    req.once('timeout', () => {
      req.destroy();
      done(`GET ${url}: no answer in ${timeoutMs} ms`);
    });
    req.once('error', (error) => done(`GET ${url}: ${errorWords(error)}`));
    req.end();
  });
}
