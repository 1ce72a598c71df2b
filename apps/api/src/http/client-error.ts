/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a Content-Length that lies or
 * is not a number, a body that runs into the next request, headers too large, a request not
 * complete within HTTP_REQUEST_TIMEOUT_MS): answered in OpenAI's error shape, then the
 * connection is closed. Fastify's default answers these in its own shape.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ErrorBody } from '@unmask/protocol';

export function clientErrorBody(error: { code?: string }): { status: number; body: ErrorBody } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return {
      status: 408,
      body: {
        error: {
          message: 'the request did not arrive in time (HTTP_REQUEST_TIMEOUT_MS)',
          type: 'timeout_error',
          param: null,
          code: 'request_timeout',
        },
      },
    };
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return {
      status: 431,
      body: {
        error: {
          message: 'the request headers are too large',
          type: 'invalid_request_error',
          param: null,
          code: 'headers_too_large',
        },
      },
    };
  const why = /^HPE_[A-Z_]+$/.test(error.code ?? '') ? ` (${error.code})` : '';
  return {
    status: 400,
    body: {
      error: {
        message: `the HTTP request is malformed${why}: check Content-Length, Transfer-Encoding and the body's length`,
        type: 'invalid_request_error',
        param: null,
        code: 'bad_http_request',
      },
    },
  };
}

export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.info({ code: error.code }, 'client error');
  if (socket.writable) {
    const { status, body } = clientErrorBody(error);
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}
