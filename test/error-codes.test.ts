import { API_ERROR_CODES } from '@sixtype/api';
import { ERROR_CODES } from '@sixtype/graphql';
import { SIXTYPE_ERROR_CODES } from '@sixtype/sdk';
import { describe, expect, it } from 'vitest';

/**
 * The SDK is published and imports no internal package, so it keeps its own list of codes. This
 * test makes the server's two lists (the schema's `ERROR_CODES`, the API's `API_ERROR_CODES`) the
 * source it is checked against: a code added to either side alone fails here.
 */
describe('error codes', () => {
  // Raised by the SDK itself, never by the server.
  const clientRaised = ['NETWORK_ERROR', 'HTTP_ERROR', 'TIMEOUT'];
  // Codes about the document, which the SDK's generated operations cannot cause (it reports them as
  // INTERNAL_SERVER_ERROR with the original in `errors`), and yoga's code that the API answers as
  // BAD_REQUEST before it leaves the server.
  const notAnswered = Object.entries(API_ERROR_CODES)
    .filter(([, code]) => code.cause === 'document' || code.cause === 'yoga')
    .map(([name]) => name);

  it('the SDK knows every code the server answers with, and no code the server does not', () => {
    const server = [...Object.keys(ERROR_CODES), ...Object.keys(API_ERROR_CODES)].filter(
      (code) => !notAnswered.includes(code),
    );
    const sdk = SIXTYPE_ERROR_CODES.filter((code) => !clientRaised.includes(code));
    expect([...sdk].sort()).toEqual([...server].sort());
  });

  it('no code is in both server lists', () => {
    expect(Object.keys(ERROR_CODES).filter((code) => Object.hasOwn(API_ERROR_CODES, code))).toEqual([]);
  });
});
