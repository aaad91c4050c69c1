import { readFileSync } from 'node:fs';
import { VzError } from '../../base/errors.ts';
import { defineCommand } from './command.ts';

const VERBS = ['apply', 'status', 'stop', 'start', 'remove', 'logs', 'config', 'top', 'rebuild'] as const;

const USAGE = `runch host <${VERBS.join('|')}>   (request: JSON on stdin; answer: JSON on stdout)
  echo '{}' | runch host status                       every app of this host, its mode, images, runch's sha1
  runch host apply < request.json                     unpack, config.json, table entry, init or supervisor, prune,
                                                      health: {"app","version","image","config","restart","mode",...}
  echo '{"app":"web"}' | runch host stop | start | remove
  echo '{"app":"web","lines":20}' | runch host logs   (with "cursors": {HOST: cursor} and --vz-host: the lines since)
  echo '{"sampleMs":200}' | runch host top            status plus CPU %, RSS, fds per app; load, RAM, disk, vz's RSS
  runch host rebuild < request.json                   an image from a base here and a delta: {"base","image","delta"}
  echo '{}' | runch host config                       write the host config (/var/lib/vz/host.json)
  the contract: base/host-contract.ts; an error is {"ok":false,"error":{"code","message"}} and exit 1`;

/** The host side of vzmaster: one verb per step, JSON in and out (what vzmaster runs through ansible's command module). */
export const host = defineCommand({
  name: 'host',
  summary: 'vzmaster\'s host commands: JSON request on stdin, JSON answer on stdout (apply, status, stop, start, remove, logs, config, top, rebuild)',
  usage: USAGE,
  // Who this host is in the master's inventory (ansible fills them in per host): replicas get them as VZ_HOST, VZ_HOST_ADDR.
  options: { 'vz-host': { type: 'string' }, 'vz-host-addr': { type: 'string' } },
  async run({ positionals, values }) {
    const verb = positionals[0] as (typeof VERBS)[number];
    if (!VERBS.includes(verb)) throw new VzError('usage', `host: "${positionals[0] ?? ''}" is no host command: use ${VERBS.join(', ')}`);
    const { errorAnswer, runHostVerb } = await import('../host/run.ts');
    let answer: unknown;
    try {
      const text = readFileSync(0, 'utf8').trim();
      let request: unknown = {};
      if (text !== '') {
        try {
          request = JSON.parse(text);
        } catch {
          throw new VzError('usage', 'the request on stdin is not JSON');
        }
      }
      const self = values['vz-host'] && values['vz-host-addr'] ? { name: values['vz-host'], addr: values['vz-host-addr'] } : undefined;
      answer = await runHostVerb(verb, request, self);
    } catch (error) {
      answer = errorAnswer(error);
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
    return (answer as { ok: boolean }).ok ? 0 : 1;
  },
});
