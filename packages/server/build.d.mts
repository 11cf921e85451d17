// Types of build.mjs, for the TypeScript that imports it (tests, benchmarks).
export const BUNDLE: string;
export function sourcesMtime(): number;
export function isStale(): boolean;
export function buildServer(): Promise<void>;
