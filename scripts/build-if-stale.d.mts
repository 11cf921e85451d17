// Types of build-if-stale.mjs, for the TypeScript that imports it (tests, benchmarks).
export function webIsStale(): boolean;
export function buildWebIfStale(): void;
export function buildServerIfStale(): Promise<void>;
export function setup(): Promise<void>;
