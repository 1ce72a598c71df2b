/**
 * Media carried in a request: `data:` URLs and base64 audio decoded to bytes, with the declared
 * type checked (415 for a type the model cannot take), the size limit (413) and the base64
 * alphabet (400). http(s) image URLs are fetched only for hosts on the allow-list.
 */
import { ApiError, badRequest, tooLarge, unsupportedMedia } from '../http/api-error.js';

export const IMAGE_TYPES = [
  'image/png',
  'image/jpeg',
  'image/jpg',
  'image/webp',
  'image/gif',
  'image/tiff',
  'image/avif',
];
export const AUDIO_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'];
/** Sent by curl and browsers when they do not know the type; the decoder then decides. */
export const UNKNOWN_TYPE = 'application/octet-stream';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

export function decodeBase64(text: string, param: string, maxBytes: number): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0) throw badRequest(`${param}: empty base64 data`, param);
  if (!BASE64.test(compact) && !BASE64URL.test(compact))
    throw badRequest(`${param}: not valid base64`, param, 'invalid_base64');
  if (Math.floor((compact.length * 3) / 4) > maxBytes + 3)
    throw tooLarge(`${param}: the decoded media exceeds the limit of ${maxBytes} bytes`, param);
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > maxBytes)
    throw tooLarge(`${param}: ${bytes.length} bytes exceeds the limit of ${maxBytes} bytes`, param);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `data:<type>[;param]*;base64,<data>` → bytes, refusing types outside `accepted`. */
export function decodeDataUrl(url: string, param: string, accepted: readonly string[], maxBytes: number): Uint8Array {
  const comma = url.indexOf(',');
  if (comma < 0) throw badRequest(`${param}: malformed data: URL (no comma)`, param);
  const header = url
    .slice(5, comma)
    .toLowerCase()
    .split(';')
    .map((s) => s.trim());
  const type = header[0] || 'text/plain';
  if (!header.includes('base64'))
    throw badRequest(`${param}: data: URLs must be base64-encoded (data:${type};base64,...)`, param);
  if (!accepted.includes(type) && type !== UNKNOWN_TYPE) {
    throw unsupportedMedia(`${param}: unsupported media type '${type}'; accepted: ${accepted.join(', ')}`, param);
  }
  return decodeBase64(url.slice(comma + 1), param, maxBytes);
}

export interface FetchPolicy {
  readonly allowHosts: readonly string[];
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/** An image part's URL → bytes. */
export async function imageBytes(
  url: string,
  param: string,
  policy: FetchPolicy,
  signal: AbortSignal,
): Promise<Uint8Array> {
  if (/^data:/i.test(url)) return decodeDataUrl(url, param, IMAGE_TYPES, policy.maxBytes);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(`${param}: expected a data: URL or an http(s) URL`, param);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw badRequest(`${param}: unsupported URL scheme '${parsed.protocol}'; send a data: URL`, param);
  if (!policy.allowHosts.includes(parsed.hostname)) {
    throw badRequest(
      `${param}: image URLs are not fetched (host '${parsed.hostname}' is not on IMAGE_URL_ALLOWLIST); send the image as a data: URL`,
      param,
      'url_not_allowed',
    );
  }
  return fetchImage(parsed, param, policy, signal);
}

async function fetchImage(url: URL, param: string, policy: FetchPolicy, signal: AbortSignal): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, {
      redirect: 'error',
      signal: AbortSignal.any([signal, AbortSignal.timeout(policy.timeoutMs)]),
    });
  } catch (error) {
    throw new ApiError(
      422,
      'invalid_request_error',
      `${param}: fetching ${url.host} failed: ${(error as Error).message}`,
      'fetch_failed',
      param,
    );
  }
  if (!response.ok)
    throw new ApiError(
      422,
      'invalid_request_error',
      `${param}: ${url.host} answered ${response.status}`,
      'fetch_failed',
      param,
    );
  const type =
    (response.headers.get('content-type') ?? UNKNOWN_TYPE).split(';')[0]?.trim().toLowerCase() ?? UNKNOWN_TYPE;
  if (!IMAGE_TYPES.includes(type) && type !== UNKNOWN_TYPE)
    throw unsupportedMedia(`${param}: ${url.host} sent '${type}', not an image`, param);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += (chunk as Uint8Array).length;
    if (total > policy.maxBytes)
      throw tooLarge(`${param}: the image exceeds the limit of ${policy.maxBytes} bytes`, param);
    chunks.push(chunk as Uint8Array);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
