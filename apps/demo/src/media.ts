/** Files and bytes to what the API takes: base64 and data: URLs. */

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

/** A file's type as the server should see it: the browser's guess, or by extension, or octet-stream. */
export function mediaType(name: string, type: string): string {
  if (type) return type === 'audio/x-wav' || type === 'audio/wave' ? 'audio/wav' : type;
  const ext = name.toLowerCase().split('.').pop() ?? '';
  const byExt: Record<string, string> = {
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    webp: 'image/webp',
    gif: 'image/gif',
    wav: 'audio/wav',
  };
  return byExt[ext] ?? 'application/octet-stream';
}

export interface LoadedMedia {
  name: string;
  type: string;
  bytes: Uint8Array;
  /** An object URL for previews (revoke when replaced). */
  previewUrl: string;
}

export async function loadBlob(blob: Blob, name: string): Promise<LoadedMedia> {
  const type = mediaType(name, blob.type);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  return { name, type, bytes, previewUrl: URL.createObjectURL(new Blob([bytes], { type })) };
}

export async function loadUrl(url: string, name: string): Promise<LoadedMedia> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load the sample ${name} (HTTP ${response.status})`);
  return loadBlob(await response.blob(), name);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
