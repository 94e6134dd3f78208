/**
 * A self-signed certificate for 127.0.0.1 and localhost, made in the test: Node makes the
 * key (fast, native), node-forge the X.509 certificate (Node's crypto cannot issue one).
 */
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import type { TlsCredentials } from '../../server/net/tls.js';

/** A fresh certificate and key, PEM, valid for a day for 127.0.0.1 and localhost. */
export function selfSignedCertificate(commonName = 'streamssl test coordinator'): TlsCredentials {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = `01${Date.now().toString(16)}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  const name = [{ name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    // IP 7 and DNS 2 are X.509's GeneralName tags; clients check the host they dialled against these.
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: privateKey };
}
