import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Standard Webhooks' secret format: `whsec_` and the base64 of the key bytes (24 random bytes here). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** What an admin sees of a secret after it was shown once: enough to tell two apart. */
export const secretPrefixOf = (secret: string) => secret.slice(0, 12);

/**
 * The 32-byte key that encrypts stored secrets. WEBHOOK_SECRET_KEY when set (base64 of 32 bytes,
 * or any text of 32+ characters, stretched with HKDF); otherwise derived with HKDF from the token
 * secret (TOKEN_SECRET, or the random one the database keeps), so the embedded default needs no setting.
 */
export function webhookEncryptionKey(configured: string | undefined, tokenSecret: string): Buffer {
  if (configured) {
    const decoded = Buffer.from(configured, 'base64');
    if (decoded.length === 32 && decoded.toString('base64') === configured) return decoded;
    return Buffer.from(hkdfSync('sha256', configured, '', 'sixtype webhook secrets', 32));
  }
  return Buffer.from(hkdfSync('sha256', tokenSecret, '', 'sixtype webhook secrets', 32));
}

const VERSION = 'v1';

/** AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, each part base64url. */
export function encryptSecret(key: Buffer, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function decryptSecret(key: Buffer, stored: string): string {
  const [version, iv, tag, ciphertext] = stored.split('.');
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error('unknown secret format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}
