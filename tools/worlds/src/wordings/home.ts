/**
 * How people ask the smart-home world's tasks and the combined task: prompt frames trained on and
 * held out (same kinds as the shapes frames, shapes.ts), and spoken command wordings beyond the
 * table of docs/worlds.md (`WORDINGS` in home/spec.ts): more wordings the model is trained on, and
 * wordings held out from training. Command templates use home/spec.ts's syntax (`{object}`,
 * `{location}`, a bracketed part only when a room is named); no apostrophes, since transcripts
 * are written without punctuation.
 */
import type { Action, Wording } from '../home/spec.js';
import type { FrameSet } from './shapes.js';

const q = (template: string) => ({ template, kind: 'question', context: false }) as const;
const e = (template: string) => ({ template, kind: 'embedded', context: false }) as const;
const i = (template: string) => ({ template, kind: 'imperative', context: false }) as const;

export type HomeTask = 'transcribe' | 'intent' | 'respond' | 'spoken_question';

export const HOME_FRAMES: Readonly<Record<HomeTask, FrameSet>> = {
  transcribe: {
    train: [
      i('transcribe the (audio|recording|clip|speech)'),
      i('transcribe (this|it)'),
      i('transcribe'),
      q('what did the speaker say'),
      q('what did (they|he|she|the person) say'),
      q('what was said'),
      q('what does the (audio|recording|speaker) say'),
      q('what are the words in the (audio|recording)'),
      q('what did you hear'),
      i('write down what (was said|the speaker said|you hear)'),
      i('(give me|write out) the transcript'),
      i('repeat what the speaker said'),
      e('what the speaker said'),
      e('what was said'),
      q('which words did (you hear|the speaker say|they say)'),
      q('can you transcribe (it|this|the audio|the recording)'),
      q('what is the transcript'),
      i('(give me|write out|spell out) the (words|exact words)'),
      i('write the (speech|audio) out as text'),
      e('the words in the (audio|recording)'),
      e('the spoken words'),
    ],
    heldout: [
      q('what words were spoken'),
      q('can i get a transcript'),
      i('put the recording into words'),
      i('type out the words you hear'),
      e('what the person in the recording said'),
    ],
  },
  intent: {
    train: [
      q('what is the intent'),
      i('extract the intent as json'),
      i('(give me|return|output|show) the intent as json'),
      i('(extract|get) the intent'),
      q("what is the (intent of the command|intent of the request|user's intent)"),
      q('what does the speaker want'),
      q('what do (they|you think they) want'),
      q('what is the speaker asking for'),
      i('parse the (command|request)'),
      i('classify the (command|request)'),
      q('intent'),
      q('json intent'),
      e('what the speaker wants'),
      e('the intent as json'),
      q('what (did|does) the speaker request'),
      q('what request did (they|the speaker) make'),
      q('what does the speaker want me to do'),
      i('(give me|write) the request as json'),
      i('(write|put) the command (as|in) json'),
      i('map the (command|request) to an intent'),
      q('which action and object does the speaker want'),
      e('the request as json'),
    ],
    heldout: [
      q('what does the person want done'),
      q('what is being requested'),
      i('convert the command to json'),
      i('turn the request into (json|an intent)'),
      e('what the person is asking for'),
    ],
  },
  respond: {
    train: [
      i('respond to the (request|command)'),
      i('respond'),
      i('reply to the (request|command)'),
      i('reply'),
      i('answer the (request|command)'),
      i('confirm the (request|command)'),
      i('give a (response|reply)'),
      i('react to the request'),
      q('what would you say back'),
      q('what is your reply'),
      e('how you would respond'),
      i('answer the speaker'),
      q('what do you say (to that|back)'),
      i('say something back'),
      q('how would you (respond|reply)'),
      i('talk back to the speaker'),
    ],
    heldout: [
      q('how do you reply to that'),
      i('acknowledge the (request|command)'),
      i('write a reply to the speaker'),
      e('what you would answer'),
    ],
  },
  spoken_question: {
    train: [
      i('answer the spoken question'),
      i('answer the question'),
      i('answer the question (in the audio|in the recording|about the image|about the picture)'),
      i('answer (it|what was asked)'),
      i('listen and answer'),
      i('reply to the spoken question'),
      q('what is the answer'),
      q('what is the answer to the (question|spoken question)'),
      e('the answer to the question'),
      e('the answer'),
      i('respond to the (spoken question|question)'),
      i('reply to the question'),
      q('can you answer (it|the question)'),
      i('give the answer'),
      q('what is the answer to the question the speaker asked'),
    ],
    heldout: [
      i('respond to the question you hear'),
      q('what is the answer to what they asked'),
      i('answer the question about the photo'),
      e('the answer to what was asked'),
    ],
  },
};

/** Spoken command wordings beyond the table, trained on. */
export const MORE_WORDINGS: Readonly<Record<Action, readonly Wording[]>> = {
  activate: [
    { template: 'put on the {object}[ in the {location}]' },
    { template: 'put the {object} on[ in the {location}]' },
    { template: 'could you turn on the {object}[ in the {location}]' },
    { template: 'switch on the {object} please' },
    { template: 'turn on the {object} please' },
    { template: 'power on the {object}[ in the {location}]' },
    { template: 'i would like the {object} on[ in the {location}]' },
    { template: 'play music[ in the {location}]', objects: ['music'] },
    { template: 'put on some music[ in the {location}]', objects: ['music'] },
  ],
  deactivate: [
    { template: 'could you turn off the {object}[ in the {location}]' },
    { template: 'turn off the {object} please' },
    { template: 'power off the {object}[ in the {location}]' },
    { template: 'i want the {object} off[ in the {location}]' },
    { template: 'kill the {object}[ in the {location}]' },
    { template: 'shut the {object} off[ in the {location}]' },
    { template: 'pause the music[ in the {location}]', objects: ['music'] },
    { template: 'no more music[ in the {location}]', objects: ['music'] },
  ],
  increase: [
    { template: 'turn the {object} up a bit[ in the {location}]' },
    { template: 'could you turn up the {object}[ in the {location}]' },
    { template: 'crank up the {object}[ in the {location}]' },
    { template: 'it is too cold[ in the {location}]', objects: ['heat'] },
    { template: 'warmer please', objects: ['heat'] },
    { template: 'i want it louder[ in the {location}]', objects: ['volume'] },
    { template: 'can you raise the {object}[ in the {location}]' },
  ],
  decrease: [
    { template: 'turn the {object} down a bit[ in the {location}]' },
    { template: 'could you turn down the {object}[ in the {location}]' },
    { template: 'lower the {object} please' },
    { template: 'it is too hot[ in the {location}]', objects: ['heat'] },
    { template: 'it is too loud[ in the {location}]', objects: ['volume'] },
    { template: 'cooler please', objects: ['heat'] },
    { template: 'can you reduce the {object}[ in the {location}]' },
  ],
  change_language: [
    { template: 'switch the language to {object} please' },
    { template: 'can you speak {object}' },
    { template: 'talk to me in {object}' },
    { template: 'change to {object}' },
    { template: 'please use {object}' },
    { template: 'set it to {object}' },
    { template: '{object} please' },
  ],
  bring: [
    { template: 'bring my {object}' },
    { template: 'can you get me the {object}' },
    { template: 'could you fetch my {object}' },
    { template: 'please bring me the {object}' },
    { template: 'i want my {object}' },
    { template: 'grab me the {object}' },
    { template: 'hand me my {object}' },
    { template: 'i would like some {object}', objects: ['juice', 'socks', 'shoes'] },
  ],
};

/** Spoken command wordings held out from training (the held-out evaluation speaks them). */
export const HELDOUT_WORDINGS: Readonly<Record<Action, readonly Wording[]>> = {
  activate: [
    { template: 'could you please switch on the {object}[ in the {location}]' },
    { template: 'turn on the [{location} ]{object} for me' },
    { template: 'i need the {object} on[ in the {location}]' },
  ],
  deactivate: [
    { template: 'could you please switch off the {object}[ in the {location}]' },
    { template: 'turn off the [{location} ]{object} for me' },
    { template: 'i need the {object} off[ in the {location}]' },
  ],
  increase: [
    { template: 'please turn the {object} up[ in the {location}]' },
    { template: 'can you increase the {object}[ in the {location}]' },
    { template: 'i want more {object}[ in the {location}]' },
  ],
  decrease: [
    { template: 'please turn the {object} down[ in the {location}]' },
    { template: 'can you lower the {object}[ in the {location}]' },
    { template: 'i want less {object}[ in the {location}]' },
  ],
  change_language: [
    { template: 'please switch to {object}' },
    { template: 'could you change the language to {object}' },
    { template: 'i would like to use {object}' },
  ],
  bring: [
    { template: 'please fetch me the {object}' },
    { template: 'could you bring my {object}' },
    { template: 'i would like my {object}' },
  ],
};
