import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnmaskError } from '../errors.js';
import { ChatTemplate } from './chat-template.js';

const source =
  '{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>{% if m.content is string %}{{ m.content }}{% else %}' +
  "{% for part in m.content %}{% if part.type == 'image' %}<|image|>{% else %}{{ part.text }}{% endif %}{% endfor %}{% endif %}{{ '\\n' }}" +
  '{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}';

describe('ChatTemplate', () => {
  // Like Hugging Face, block tags eat the newline after them (trim_blocks), hence {{ '\\n' }}.
  const template = new ChatTemplate(source, 'test.jinja');

  it('renders messages with the generation prompt by default, and without it on request', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ];
    assert.equal(
      template.render(messages, { variables: { bos_token: '<s>' } }),
      '<s><|system|>Be brief.\n<|user|>Hi\n<|assistant|>',
    );
    assert.equal(
      template.render(messages, { addGenerationPrompt: false, variables: { bos_token: '' } }),
      '<|system|>Be brief.\n<|user|>Hi\n',
    );
  });

  it('passes multimodal content parts through to the template', () => {
    const rendered = template.render(
      [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is this?' }] }],
      { variables: { bos_token: '' } },
    );
    assert.equal(rendered, '<|user|><|image|>What is this?\n<|assistant|>');
  });

  it('rejects malformed messages with the field named', () => {
    assert.throws(
      () => template.render([]),
      (e) => isUnmaskError(e, 'invalid_parameter') && /^messages: /.test(e.message),
    );
    assert.throws(
      () => template.render([{ role: 'user' } as never]),
      (e) => isUnmaskError(e, 'invalid_parameter') && /^messages\[0\]\.content: /.test(e.message),
    );
  });

  it('fails at construction on a template that does not parse', () => {
    assert.throws(
      () => new ChatTemplate('{% if %}', 'broken.jinja'),
      (e) => isUnmaskError(e, 'invalid_bundle') && /^broken\.jinja: the chat template does not parse/.test(e.message),
    );
  });
});
