// The REST API's bodies (reference §2; served as OpenAPI at /docs): TypeBox schemas with their TypeScript types,
// defined once, one module per feature. The server's routes validate requests and document responses with these
// schemas; the client SDK (and through it the web app) uses their types. Import it as `@lablink/protocol/rest`,
// apart from the WebSocket protocol, so that a bundle needing only the types (`import type`) carries none of these
// schemas.
//
// Some response schemas document a field loosely (a plain string, a record of numbers, `unknown`) while the type
// names what the server really sends: `Type.Unsafe<T>(schema)` keeps the JSON Schema — and so /docs and the
// response serializer — exactly as it is, and the compiler checks each route handler against the precise type.

export * from './acquisition.js';
export * from './acquisition-export.js';
export * from './acquisition-stats.js';
export * from './alarm-notifications.js';
export * from './alarms.js';
export * from './auth.js';
export * from './common.js';
export * from './equipment.js';
export * from './hub.js';
export * from './locks.js';
export * from './profiles.js';
export * from './realtime.js';
export * from './safety.js';
export * from './scheduler.js';
export * from './system.js';
