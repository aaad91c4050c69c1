/** Re-run this process inside a private mount namespace (once); see private-ns.mjs. */
export function enterPrivateMountNamespace(): void;
