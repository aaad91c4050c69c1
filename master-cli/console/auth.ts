/**
 * Who may talk to the console. It listens on 127.0.0.1 only, but any local process and any web page in the user's
 * browser can reach 127.0.0.1, so every request must carry the token printed at start (a cookie set by the first
 * visit's ?token=, or an Authorization: Bearer header), compared in constant time. The Host header must name the
 * console itself (a DNS-rebinding page sends its own name), and a state-changing request must be a JSON POST from
 * the console's own origin (a cross-site form can send neither the content type nor the origin).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'vz_console';

export const newToken = (): string => randomBytes(24).toString('base64url');

export function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) return rest.join('=');
  }
  return undefined;
}

export function tokenOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return cookieToken(req.headers.cookie);
}

export type Verdict = { ok: true } | { ok: false; status: number; error: string };

/** The checks every request passes, before any route; `port` is the one actually listened on. */
export function admit(req: IncomingMessage, token: string, port: number): Verdict {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!hosts.includes(req.headers.host ?? '')) return { ok: false, status: 421, error: `Host "${req.headers.host ?? ''}" is not this console: open http://127.0.0.1:${port}/` };
  if (!sameToken(tokenOf(req), token)) return { ok: false, status: 401, error: 'no or a wrong token: open the URL vzmaster console printed (it carries ?token=)' };
  if (req.method === 'POST') {
    const origin = req.headers.origin;
    if (origin !== undefined && !hosts.map((h) => `http://${h}`).includes(origin)) return { ok: false, status: 403, error: `Origin "${origin}" is not this console` };
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return { ok: false, status: 415, error: 'an action is a JSON POST: Content-Type: application/json' };
  }
  return { ok: true };
}
