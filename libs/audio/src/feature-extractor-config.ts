/**
 * The Whisper feature extractor's settings, with the field names and defaults of Hugging Face's
 * `preprocessor_config.json` (WhisperFeatureExtractor), so a bundle manifest can carry the file
 * as is. Unknown keys are kept. `padding` is ours: 'max_length' pads (or truncates) to
 * chunk_length seconds like Whisper; 'longest' uses the audio as it is.
 */
import { z } from 'zod';

export const whisperFeatureExtractorConfigSchema = z
  .looseObject({
    feature_extractor_type: z.string().default('WhisperFeatureExtractor'),
    /** Mel bins: 80 (Whisper v1-v3 small) or 128 (large-v3). */
    feature_size: z.number().int().positive().default(80),
    sampling_rate: z.number().int().positive().default(16000),
    hop_length: z.number().int().positive().default(160),
    n_fft: z.number().int().positive().default(400),
    /** Seconds of audio per window. */
    chunk_length: z.number().int().positive().default(30),
    /** Derived in Hugging Face's file: chunk_length · sampling_rate. Checked when present. */
    n_samples: z.number().int().positive().optional(),
    /** Derived in Hugging Face's file: n_samples / hop_length. Checked when present. */
    nb_max_frames: z.number().int().positive().optional(),
    padding_value: z.number().default(0),
    padding_side: z.enum(['right', 'left']).default('right'),
    /** Gaussian noise added by the reference when non-zero; only 0 is supported. */
    dither: z.literal(0).default(0),
    return_attention_mask: z.boolean().default(false),
    padding: z.enum(['max_length', 'longest']).default('max_length'),
  })
  .superRefine((config, ctx) => {
    const nSamples = config.chunk_length * config.sampling_rate;
    if (config.n_samples !== undefined && config.n_samples !== nSamples) {
      ctx.addIssue({
        code: 'custom',
        path: ['n_samples'],
        message: `n_samples ${config.n_samples} ≠ chunk_length × sampling_rate (${nSamples})`,
      });
    }
    const frames = Math.floor(nSamples / config.hop_length);
    if (config.nb_max_frames !== undefined && config.nb_max_frames !== frames) {
      ctx.addIssue({
        code: 'custom',
        path: ['nb_max_frames'],
        message: `nb_max_frames ${config.nb_max_frames} ≠ n_samples / hop_length (${frames})`,
      });
    }
    if (config.n_fft % 2 !== 0)
      ctx.addIssue({ code: 'custom', path: ['n_fft'], message: `n_fft must be even, got ${config.n_fft}` });
  });

export type WhisperFeatureExtractorConfig = z.infer<typeof whisperFeatureExtractorConfigSchema>;
export type WhisperFeatureExtractorConfigInput = z.input<typeof whisperFeatureExtractorConfigSchema>;
