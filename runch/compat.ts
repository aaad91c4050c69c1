/**
 * What runch's dependencies take from Node 22 and Node 18 lacks, so dist/runch.cjs runs on Node >= 18 (Debian 12
 * i386's nodejs 18.19): execa 10 builds one constant with Set.prototype.union when it loads. Defined only where
 * missing, with the standard's meaning.
 */
type SetWithUnion<T> = Set<T> & { union?: (other: Iterable<T>) => Set<T> };
const proto = Set.prototype as SetWithUnion<unknown>;
if (typeof proto.union !== 'function') {
  Object.defineProperty(Set.prototype, 'union', {
    configurable: true,
    writable: true,
    value: function union<T>(this: Set<T>, other: Iterable<T>): Set<T> {
      return new Set([...this, ...other]);
    },
  });
}

/**
 * which-command (execa 10's) writes its two patterns with the `v` flag (Node >= 20): on an older Node, `v` is read
 * as `u`, which means the same for patterns without set notation such as these.
 */
let vFlag = true;
try {
  new RegExp('', 'v');
} catch {
  vFlag = false;
}
if (!vFlag) {
  const Native = RegExp;
  const fix = (flags: unknown) => (typeof flags === 'string' ? flags.replace('v', 'u') : flags) as string | undefined;
  globalThis.RegExp = new Proxy(Native, {
    construct: (target, [pattern, flags]) => new target(pattern, fix(flags)),
    apply: (target, _this, [pattern, flags]) => target(pattern, fix(flags)),
  });
}
