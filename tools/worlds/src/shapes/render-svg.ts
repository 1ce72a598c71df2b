import sharp from 'sharp';
import { shapePolygon } from './geometry.js';
import { addUniformNoise } from './noise.js';
import type { Scene } from './scene.js';

const hex = (rgb: readonly number[]) => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;

/** The scene as an SVG document (flat background, filled shapes without outline). Noise is not part of the SVG. */
export function sceneToSvg(scene: Scene): string {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}">`,
    `<rect x="0" y="0" width="${scene.width}" height="${scene.height}" fill="${hex(scene.background)}"/>`,
  ];
  for (const o of scene.objects) {
    const fill = hex(o.rgb);
    if (o.shape === 'circle') {
      parts.push(
        `<circle cx="${o.cx.toFixed(3)}" cy="${o.cy.toFixed(3)}" r="${(o.size / 2).toFixed(3)}" fill="${fill}"/>`,
      );
    } else {
      const points = shapePolygon(o)
        .map(([x, y]) => `${x.toFixed(3)},${y.toFixed(3)}`)
        .join(' ');
      parts.push(`<polygon points="${points}" fill="${fill}"/>`);
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface EncodeOptions {
  format: ImageFormat;
  /** JPEG / WebP quality (the spec allows 70 or better). */
  quality?: number;
}

/** Encodes interleaved 8-bit RGB pixels. */
export async function encodeRgb(
  pixels: Buffer,
  width: number,
  height: number,
  options: EncodeOptions,
): Promise<Buffer> {
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  switch (options.format) {
    case 'png':
      return image.png().toBuffer();
    case 'jpeg':
      return image.jpeg({ quality: options.quality ?? 90 }).toBuffer();
    case 'webp':
      return image.webp({ quality: options.quality ?? 90 }).toBuffer();
  }
}

/** Rasterises the scene's SVG with sharp (librsvg) to RGB pixels, adding the scene's pixel noise. */
export async function renderSvgPixels(scene: Scene): Promise<Buffer> {
  const { data, info } = await sharp(Buffer.from(sceneToSvg(scene)))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== scene.width || info.height !== scene.height || info.channels !== 3) {
    throw new Error(
      `renderSvgPixels: expected ${scene.width}x${scene.height}x3, got ${info.width}x${info.height}x${info.channels}`,
    );
  }
  addUniformNoise(data, 3, scene.noise, scene.noiseSeed);
  return data;
}

/** The scene rendered through SVG and encoded as PNG, JPEG or WebP. */
export async function renderSvg(scene: Scene, options: EncodeOptions = { format: 'png' }): Promise<Buffer> {
  return encodeRgb(await renderSvgPixels(scene), scene.width, scene.height, options);
}
