/**
 * A bundle's Jinja chat template, rendered with @huggingface/jinja the way Hugging Face
 * `apply_chat_template` does: `messages`, `add_generation_prompt`, special token strings.
 */
import { readFileSync } from 'node:fs';
import { Template } from '@huggingface/jinja';
import { z } from 'zod';
import { UnmaskError } from '../errors.js';

/** A content part of a multimodal message (`{type: 'text', text}`, `{type: 'image'}`, `{type: 'audio'}`, …). */
export const contentPartSchema = z.looseObject({ type: z.string().min(1) });

export const chatMessageSchema = z.looseObject({
  role: z.string().min(1),
  content: z.union([z.string(), z.array(contentPartSchema)]),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export interface RenderOptions {
  /** Append the opening of the assistant turn. Default true. */
  readonly addGenerationPrompt?: boolean;
  /** More variables for the template (e.g. `bos_token`, `eos_token`, `tools`). */
  readonly variables?: Readonly<Record<string, unknown>>;
}

export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    /** The file it came from, for messages. */
    readonly path = 'chat template',
  ) {
    try {
      this.template = new Template(source);
    } catch (error) {
      throw new UnmaskError(
        'invalid_bundle',
        `${path}: the chat template does not parse (${(error as Error).message})`,
        path,
        { cause: error },
      );
    }
  }

  static fromFile(path: string): ChatTemplate {
    let source: string;
    try {
      source = readFileSync(path, 'utf8');
    } catch (error) {
      throw new UnmaskError(
        'invalid_bundle',
        `${path}: cannot read the chat template (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        path,
      );
    }
    return new ChatTemplate(source, path);
  }

  render(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    const parsed = z.array(chatMessageSchema).min(1).safeParse(messages);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = (issue?.path ?? [])
        .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
        .join('');
      throw new UnmaskError('invalid_parameter', `messages${where}: ${issue?.message ?? 'invalid'}`, 'messages');
    }
    try {
      return this.template.render({
        ...options.variables,
        messages: parsed.data,
        add_generation_prompt: options.addGenerationPrompt ?? true,
      });
    } catch (error) {
      throw new UnmaskError(
        'invalid_parameter',
        `${this.path}: rendering the chat template failed (${(error as Error).message})`,
        'messages',
        { cause: error },
      );
    }
  }
}
