import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jobsFor, type Job } from './jobs.js';
import { COMMAND_JOBS, SPOKEN_QUESTION_PROMPT } from './samples.js';

const both = { hasImage: true, hasAudio: true, question: '' };

describe('jobsFor', () => {
  it('asks the typed question, trimmed, about the image', () => {
    assert.deepEqual(jobsFor('image', { ...both, question: '  what color is the star \n' }), [
      { label: 'Answer', prompt: 'what color is the star' },
    ]);
  });

  it('asks for the transcript, the intent and the response of a spoken command', () => {
    assert.deepEqual(
      (jobsFor('command', both) as Job[]).map((j) => j.prompt),
      COMMAND_JOBS.map((j) => j.prompt),
    );
  });

  it('asks the spoken question about the image in the mode with both', () => {
    assert.deepEqual(jobsFor('both', both), [{ label: 'Answer', prompt: SPOKEN_QUESTION_PROMPT }]);
  });

  it('says what is missing instead: the image, the audio, or the question', () => {
    assert.match(jobsFor('image', { ...both, hasImage: false, question: 'hi' }) as string, /Choose an image/);
    assert.match(jobsFor('both', { ...both, hasImage: false }) as string, /Choose an image/);
    assert.match(jobsFor('command', { ...both, hasAudio: false }) as string, /Choose a WAV/);
    assert.match(jobsFor('both', { ...both, hasAudio: false }) as string, /Choose a WAV/);
    assert.match(jobsFor('image', { ...both, question: '   ' }) as string, /Type a question/);
  });

  it('needs no audio for an image question and no image for a command', () => {
    assert.equal(typeof jobsFor('image', { ...both, hasAudio: false, question: 'x' }), 'object');
    assert.equal(typeof jobsFor('command', { ...both, hasImage: false }), 'object');
  });
});
