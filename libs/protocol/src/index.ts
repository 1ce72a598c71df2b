export {
  chatCompletionRequestSchema,
  chatMessageSchema,
  contentPartSchema,
  textPartSchema,
  imagePartSchema,
  audioPartSchema,
  responseFormatSchema,
  MAX_TOKENS_CAP,
  SEED_MAX,
  MAX_STOP_SEQUENCES,
  type ChatCompletionRequest,
  type ChatCompletionRequestInput,
  type ChatMessage,
  type ContentPart,
  type ResponseFormat,
} from './chat-request.js';
export {
  chatCompletionSchema,
  chatCompletionChunkSchema,
  usageSchema,
  finishReasonSchema,
  type ChatCompletion,
  type ChatCompletionChunk,
  type Usage,
} from './chat-response.js';
export {
  diffusionOptionsSchema,
  diffusionStepSchema,
  committedTokenSchema,
  type DiffusionOptions,
  type DiffusionStep,
  type CommittedTokenEvent,
} from './diffusion-extension.js';
export { errorBodySchema, ERROR_TYPES, type ErrorBody, type ErrorType } from './errors.js';
export { modelSchema, modelListSchema, type Model, type ModelList } from './models.js';
