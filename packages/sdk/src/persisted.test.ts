import { createHash } from 'node:crypto';
import { type DocumentNode, Kind, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import persistedOperations from './generated/persisted-operations.json' with { type: 'json' };
import * as sdk from './index.ts';
import { CreateOrganizationDocument, createClient, OrganizationByCodeDocument, SixtypeError } from './index.ts';
import type { FetchLike } from './options.ts';

const url = 'https://sixtype.example.test/graphql';
const manifest: Record<string, string> = persistedOperations;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

interface SentBody {
  query?: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  extensions?: { persistedQuery?: { version: number; sha256Hash: string } };
}

/** Answers each request with the next of `answers` (the last one repeats) and records the bodies. */
function scriptedFetch(...answers: unknown[]) {
  const sent: SentBody[] = [];
  const fetch: FetchLike = async (_url, init) => {
    sent.push(JSON.parse(String(init.body)));
    const answer = answers[Math.min(sent.length, answers.length) - 1];
    return new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } });
  };
  return { fetch, sent };
}

const refusal = (code: string, message = code) => ({ errors: [{ message, extensions: { code } }] });
const organization = { data: { organization: null } };

const documents = Object.entries(sdk).filter(
  (entry): entry is [string, DocumentNode] =>
    entry[0].endsWith('Document') && (entry[1] as { kind?: unknown }).kind === Kind.DOCUMENT,
);

describe('the persisted-operation manifest', () => {
  it('holds every document the SDK exports, under the SHA-256 of its printed text', () => {
    expect(documents.length).toBeGreaterThan(10);
    for (const [name, document] of documents) {
      const text = print(document);
      expect(manifest[sha256(text)], `${name} is missing: run npm run generate`).toBe(text);
    }
    expect(Object.keys(manifest)).toHaveLength(documents.length);
  });
});

describe('persisted operations', () => {
  const hash = sha256(print(OrganizationByCodeDocument));

  it('sends the hash instead of the text with persisted: true', async () => {
    const { fetch, sent } = scriptedFetch(organization);
    const client = createClient({ url, apiKey: 'sxk_key', persisted: true, fetch });

    await client.request(OrganizationByCodeDocument, { code: 'ZONE' });

    expect(sent).toEqual([
      {
        operationName: 'OrganizationByCode',
        variables: { code: 'ZONE' },
        extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
      },
    ]);
  });

  it('switches to hashes for good when the server answers PERSISTED_QUERY_ONLY', async () => {
    const { fetch, sent } = scriptedFetch(refusal('PERSISTED_QUERY_ONLY'), organization);
    const client = createClient({ url, apiKey: 'sxk_key', fetch });

    await client.request(OrganizationByCodeDocument, { code: 'ZONE' });
    await client.request(OrganizationByCodeDocument, { code: 'PETITION_OFFICE' });

    expect(sent.map((body) => [body.query === undefined ? 'hash' : 'text', body.extensions?.persistedQuery])).toEqual([
      ['text', undefined],
      ['hash', { version: 1, sha256Hash: hash }],
      ['hash', { version: 1, sha256Hash: hash }],
    ]);
    expect(sent[2]?.variables).toEqual({ code: 'PETITION_OFFICE' });
  });

  it('resends a mutation by hash too: the server refused it before running anything', async () => {
    const created = { data: { createOrganization: { __typename: 'NotFoundError' } } };
    const { fetch, sent } = scriptedFetch(refusal('PERSISTED_QUERY_ONLY'), created);
    const client = createClient({ url, apiKey: 'sxk_key', fetch });

    const input = { code: 'X', name: 'X', kind: 'OFFICE' as const, parentCode: 'NOPE' };
    await client.request(CreateOrganizationDocument, { input });

    expect(sent).toHaveLength(2);
    expect(sent[1]?.extensions?.persistedQuery?.sha256Hash).toBe(sha256(print(CreateOrganizationDocument)));
  });

  it('falls back to the text once when the server does not know the hash (an older server)', async () => {
    const { fetch, sent } = scriptedFetch(refusal('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound'), organization);
    const client = createClient({ url, token: 'jwt', persisted: true, fetch });

    await client.request(OrganizationByCodeDocument, { code: 'ZONE' });

    expect(sent.map((body) => body.query === undefined)).toEqual([true, false]);
    expect(sent[1]?.query).toBe(print(OrganizationByCodeDocument));
  });

  it('throws when neither the hash nor the text is accepted, without looping', async () => {
    const { fetch, sent } = scriptedFetch(refusal('PERSISTED_QUERY_NOT_FOUND'), refusal('PERSISTED_QUERY_ONLY'));
    const client = createClient({ url, apiKey: 'sxk_key', persisted: true, fetch });

    const failure = client.request(OrganizationByCodeDocument, { code: 'ZONE' });

    await expect(failure).rejects.toBeInstanceOf(SixtypeError);
    await expect(failure).rejects.toMatchObject({ code: 'PERSISTED_QUERY_ONLY' });
    expect(sent).toHaveLength(2);
  });

  it('never sends hashes with persisted: false', async () => {
    const { fetch, sent } = scriptedFetch(refusal('PERSISTED_QUERY_ONLY'));
    const client = createClient({ url, apiKey: 'sxk_key', persisted: false, fetch });

    await expect(client.request(OrganizationByCodeDocument, { code: 'ZONE' })).rejects.toMatchObject({
      code: 'PERSISTED_QUERY_ONLY',
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.extensions).toBeUndefined();
  });

  it('sends documents that are not part of the SDK as text', async () => {
    const { fetch, sent } = scriptedFetch({ data: { __typename: 'Query' } });
    const client = createClient({ url, persisted: true, fetch });

    await client.request(parse('query Own { __typename }'));

    expect(sent[0]).toMatchObject({ query: 'query Own {\n  __typename\n}', operationName: 'Own' });
    expect(sent[0]?.extensions).toBeUndefined();
  });
});
