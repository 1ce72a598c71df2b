/**
 * How each multimodal family lays out its prompt, as its upstream inference code builds it
 * (the files and functions named per family; test-fixtures/upstream-prompts/ holds what that code
 * produced, checked by family-prompts.test.ts). A bundle carries this in its chat template
 * (media-placeholders.ts): the text a media part becomes, with the placeholder token where the
 * features go, and the system prompt used when the request has none.
 */
import type { MediaText } from '../bundle/media-placeholders.js';

export interface FamilyPrompt {
  /** The system message upstream always sends (used when a request names none). */
  readonly systemPrompt?: string;
  /** The placeholder token the converter adds to the tokenizer (the media rows replace it). */
  readonly placeholder: string;
  /** The text a media part becomes: the placeholder and what upstream writes around it. */
  readonly mediaText: MediaText;
  /** A chat template of the family's own, when upstream does not use the tokenizer's. */
  readonly chatTemplate?: string;
}

/**
 * LLaDA-V (ML-GSAI/LLaDA-V, train/llava/conversation.py `conv_llava_llada`, rendered by the
 * tokenizer's chat template; train/llava/mm_utils.py `tokenizer_image_token` splits at "<image>"):
 * a system prompt, then the user turn "<image>\n{question}"; the image rows replace "<image>".
 */
export const LLADA_V_PROMPT: FamilyPrompt = {
  systemPrompt:
    'You are a helpful language and vision assistant. You are able to understand the visual content that the user provides, and assist the user with a variety of tasks using natural language.',
  placeholder: '<image>',
  mediaText: { image: '<image>\n' },
};

/**
 * DIFFA (NKU-HLT/DIFFA, src/modeling_DIFFA.py `DIFFAModel.generate` with src/dataloader.py
 * `build_chat_prompt`; system prompt from inference_stage2_*.py): the user turn is
 * "This is the audio: <audio>. {question}" with "<audio>" left as plain text; the audio rows are
 * inserted after the tokens of "…This is the audio:" (the prefix "…This is the audio: " tokenized,
 * less its last token, the trailing space), so the literal " <audio>. " follows them. The
 * placeholder is therefore not "<audio>" (that text stays text) but a token of its own.
 */
export const DIFFA_PROMPT: FamilyPrompt = {
  systemPrompt: 'You are a helpful voice assistant.',
  placeholder: '<|diffa_audio|>',
  mediaText: { audio: 'This is the audio:<|diffa_audio|> <audio>. ' },
  // build_chat_prompt writes the LLaMA-3 headers itself, without the tokenizer template's trim.
  chatTemplate:
    "<|startoftext|>{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}",
};
