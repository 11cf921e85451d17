// Types of build.mjs, for the TypeScript that imports it (tests, benchmarks).
export const BUNDLE: string;
export function newestMtime(paths: string[]): number;
export function sourcePaths(): string[];
export function isStale(bundle?: string, sources?: string[]): boolean;
export function buildServer(): Promise<void>;
