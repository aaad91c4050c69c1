import { main } from '../cli/run.ts';

main('ldd-trace', async () => (await import('../cli/ldd-trace.ts')).lddTraceCommand);
