export { buildApp } from './app.js';
export { type Config, ConfigError, loadConfig } from './config.js';
export { createLogger, type RunningServer, startServer } from './serve.js';
export { createServices, type Services } from './services.js';
