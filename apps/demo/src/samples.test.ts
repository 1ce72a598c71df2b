import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demoSamplesSchema } from '@unmask/protocol';

const SAMPLES_DIR = fileURLToPath(new URL('../public/samples/', import.meta.url));

describe('the committed sample list (public/samples/samples.json)', () => {
  const samples = demoSamplesSchema.parse(JSON.parse(readFileSync(`${SAMPLES_DIR}samples.json`, 'utf8')));

  it('names files that are there, and an image of its own as the spoken question’s', () => {
    for (const { file } of [...samples.images, ...samples.audio]) assert.ok(existsSync(SAMPLES_DIR + file), file);
    assert.ok(samples.images.some((image) => image.file === samples.questionImage));
  });

  it('gives every command its intent and response, and the intent prompt answers with that intent', () => {
    const commands = samples.audio.filter((clip) => clip.intent !== undefined);
    assert.ok(commands.length > 0);
    for (const { intent, response, answers } of commands) {
      assert.ok(response);
      assert.deepEqual(JSON.parse(answers['what is the intent'] ?? ''), intent);
    }
  });
});

describe('demoSamplesSchema', () => {
  it('names what is wrong with a sample list that is not one', () => {
    const result = demoSamplesSchema.safeParse({
      images: [{ file: 'a.png', alt: 'a red circle', answers: {}, size: 3 }],
      audio: [{ file: '', transcript: 'hi', answers: {} }],
      questionImage: 'a.png',
    });
    assert.equal(result.success, false);
    const paths = result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.code}`);
    assert.deepEqual(paths?.sort(), ['audio.0.file: too_small', 'images.0: unrecognized_keys']);
  });
});
