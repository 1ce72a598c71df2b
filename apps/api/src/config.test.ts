import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('configuration from the environment', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 8080);
    assert.equal(config.HOST, '127.0.0.1');
    assert.equal(config.MODEL_DIR, undefined);
    assert.equal(config.API_KEY, undefined);
    assert.equal(config.BODY_LIMIT_BYTES, 8 * 1024 * 1024);
    assert.equal(config.MEDIA_LIMIT_BYTES, 20 * 1024 * 1024);
    assert.equal(config.MAX_PROMPT_CHARS, 100_000);
    assert.equal(config.MAX_MEDIA_ITEMS, 8);
    assert.equal(config.MAX_REQUEST_PIXELS, 64_000_000);
    assert.equal(config.MAX_REQUEST_AUDIO_SECONDS, 120);
    assert.equal(config.HTTP_REQUEST_TIMEOUT_MS, 30_000);
    assert.equal(config.STREAM_WRITE_TIMEOUT_MS, 30_000);
    assert.equal(config.SHUTDOWN_GRACE_MS, 5_000);
    assert.equal(config.CORS_ORIGIN, '*');
    assert.deepEqual(config.IMAGE_URL_ALLOWLIST, []);
  });

  it('refuses an idle timeout that would cut off a whole answer still decoding', () => {
    assert.throws(
      () => loadConfig({ REQUEST_TIMEOUT_MS: '60000', HTTP_IDLE_TIMEOUT_MS: '30000' }),
      (e: unknown) =>
        e instanceof ConfigError && /HTTP_IDLE_TIMEOUT_MS: 30000 must exceed REQUEST_TIMEOUT_MS/.test(e.message),
    );
  });

  it('reads and coerces values; empty strings count as unset', () => {
    const config = loadConfig({
      PORT: '9000',
      QUEUE_SIZE: '3',
      IMAGE_URL_ALLOWLIST: 'a.example, b.example',
      MODEL_DIR: '',
      UNRELATED: 'x',
    });
    assert.equal(config.PORT, 9000);
    assert.equal(config.QUEUE_SIZE, 3);
    assert.deepEqual(config.IMAGE_URL_ALLOWLIST, ['a.example', 'b.example']);
    assert.equal(config.MODEL_DIR, undefined);
    assert.equal(config.PROTECT_METRICS, false);
    assert.equal(loadConfig({ PROTECT_METRICS: 'true', PROTECT_DOCS: '1' }).PROTECT_DOCS, true);
  });

  it('refuses an API_KEY that is set but empty, instead of silently serving without one', () => {
    assert.throws(
      () => loadConfig({ API_KEY: '' }),
      (e: unknown) => e instanceof ConfigError && /^environment variable API_KEY: is set but empty/.test(e.message),
    );
  });

  it('names the variable that is wrong', () => {
    assert.throws(
      () => loadConfig({ PORT: '70000' }),
      (e: unknown) => e instanceof ConfigError && /^environment variable PORT: /.test(e.message),
    );
    assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
  });
});
