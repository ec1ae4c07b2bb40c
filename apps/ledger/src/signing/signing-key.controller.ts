import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { LicenseSigner } from './license-signer';
import type { SigningPublicKey } from './signed-document';
import { Public } from '../auth/policy';

class JwkDto {
  @ApiProperty({ enum: ['OKP'] }) kty!: 'OKP';
  @ApiProperty({ enum: ['Ed25519'] }) crv!: 'Ed25519';
  @ApiProperty({ description: 'The public key, base64url' }) x!: string;
  @ApiProperty() kid!: string;
  @ApiProperty({ enum: ['EdDSA'] }) alg!: 'EdDSA';
  @ApiProperty({ enum: ['sig'] }) use!: 'sig';
}

class SigningKeyDto {
  @ApiProperty({ example: '3f9a0c1e5b7d2a48', description: 'First 16 hex characters of SHA-256 over the SPKI DER; signed documents carry it' })
  keyId!: string;
  @ApiProperty({ enum: ['Ed25519'] }) algorithm!: 'Ed25519';
  @ApiProperty({ description: 'SPKI PEM (-----BEGIN PUBLIC KEY-----)' }) publicKeyPem!: string;
  @ApiProperty({ type: JwkDto, description: 'The same key as a JWK (RFC 8037)' }) jwk!: JwkDto;
}

@ApiTags('signing')
@Controller('v1/signing-key')
export class SigningKeyController {
  constructor(private readonly signer: LicenseSigner) {}

  @Get()
  @Public('the public key that verifies signed files offline; anyone holding a file needs it')
  @ApiOperation({
    summary: 'The public key that verifies signed license files',
    description: 'Signatures are Ed25519 over the canonical JSON (RFC 8785) of `payload`; see docs/http.md for an offline check.',
  })
  @ApiOkResponse({ type: SigningKeyDto, description: 'The key signed documents name by keyId' })
  get(): SigningPublicKey {
    return this.signer.publicKey();
  }
}
