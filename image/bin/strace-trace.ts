import { main } from '../cli/run.ts';

main('strace-trace', async () => (await import('../cli/strace-trace.ts')).straceTraceCommand);
