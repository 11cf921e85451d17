// @lablink/protocol: the one definition of the LabLink WebSocket protocol (docs/protocol.md), shared by the
// server, the client SDK and the web app.

export * from './binary.js';
export * from './const.js';
export * from './encode.js';
export * from './payloads.js';
export * from './schemas.js';
export * from './validate.js';
