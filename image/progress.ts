/** Progress on stderr for big trees, only when stderr is a terminal (never in logs or pipes), at most 5 times/s. */
export interface Progress {
  add(bytes: number): void;
  done(): void;
}

const MIB = 1024 * 1024;

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total < 16 * MIB) return { add() {}, done() {} };
  let seen = 0;
  let last = 0;
  const show = () => {
    const pct = Math.min(100, Math.floor((seen / total) * 100));
    stream.write(`\r${label}: ${(seen / MIB).toFixed(0)}/${(total / MIB).toFixed(0)} MiB ${pct}%  `);
  };
  return {
    add(bytes) {
      seen += bytes;
      const now = Date.now();
      if (now - last >= 200) {
        last = now;
        show();
      }
    },
    done() {
      show();
      stream.write('\n');
    },
  };
}
