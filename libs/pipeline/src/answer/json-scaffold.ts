/**
 * Schema scaffolding: turns a JSON schema into a response template — the JSON punctuation and
 * keys as fixed tokens, one masked slot per value. A string value's quotes are fixed and its
 * slot sits between them. Supported: objects (properties in declaration order, nested), string,
 * number, integer, boolean, enum and const. Fixed text is tokenized piece by piece with the
 * given `encode`, which is exact for word-level and byte-level tokenizers whose pieces do not
 * merge across the boundaries used here (`{"`, `": `, `, `, `}`).
 */
import { UnmaskError, type ResponseTemplate, type TemplatePart } from '@unmask/core';

export interface ScaffoldOptions {
  /** Turns fixed text into token ids. */
  encode(text: string): number[];
  /** Mask budget per value when the schema gives no `maxLength` hint (default 8). */
  slotLength?: number;
}

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  enum?: unknown[];
  const?: unknown;
  maxLength?: number;
  'x-slot-length'?: number;
};

export function scaffoldFromJsonSchema(schema: unknown, options: ScaffoldOptions): ResponseTemplate {
  const parts: TemplatePart[] = [];
  let pendingText = '';
  const text = (t: string) => {
    pendingText += t;
  };
  const flush = () => {
    if (pendingText) parts.push({ type: 'text', ids: options.encode(pendingText) });
    pendingText = '';
  };
  const slot = (length: number, name: string) => {
    flush();
    parts.push({ type: 'slot', length, name });
  };
  const defaultLength = options.slotLength ?? 8;

  const visit = (node: unknown, path: string): void => {
    if (typeof node !== 'object' || node === null) {
      throw new UnmaskError(
        'invalid_parameter',
        `json schema at ${path || '(root)'} is not an object`,
        'response_format.json_schema',
      );
    }
    const s = node as JsonSchema;
    const budget = s['x-slot-length'] ?? s.maxLength ?? defaultLength;
    if (s.const !== undefined) {
      text(JSON.stringify(s.const));
      return;
    }
    if (s.enum !== undefined) {
      const quoted = s.enum.every((v) => typeof v === 'string');
      const longest = Math.max(1, ...s.enum.map((v) => options.encode(quoted ? String(v) : JSON.stringify(v)).length));
      if (quoted) text('"');
      slot(s['x-slot-length'] ?? longest, path);
      if (quoted) text('"');
      return;
    }
    switch (s.type) {
      case 'object': {
        const entries = Object.entries(s.properties ?? {});
        text('{');
        entries.forEach(([key, child], i) => {
          text(`${i === 0 ? '' : ', '}${JSON.stringify(key)}: `);
          visit(child, path ? `${path}.${key}` : key);
        });
        text('}');
        return;
      }
      case 'string':
        text('"');
        slot(budget, path);
        text('"');
        return;
      case 'number':
      case 'integer':
      case 'boolean':
        slot(s['x-slot-length'] ?? (s.type === 'boolean' ? 1 : defaultLength), path);
        return;
      default:
        throw new UnmaskError(
          'invalid_parameter',
          `json schema at ${path || '(root)'}: type ${JSON.stringify(s.type)} is not supported by schema scaffolding (object, string, number, integer, boolean, enum, const)`,
          'response_format.json_schema',
        );
    }
  };
  visit(schema, '');
  flush();
  return { parts };
}
