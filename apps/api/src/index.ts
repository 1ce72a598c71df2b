export { buildServer, type Server, type ServerOptions } from './server.js';
export { loadConfig, configWith, configSchema, ConfigError, type Config } from './config.js';
export { ApiError, toApiError } from './http/api-error.js';
