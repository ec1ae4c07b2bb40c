import { type DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { LicenseSigner } from './license-signer';
import { loadOrCreateSigningKey } from './signing-key.file';
import { SigningKeyController } from './signing-key.controller';

export interface SigningConfig {
  keyFile: string;
}

/** Global: whatever hands out signed files injects LicenseSigner without importing this module. */
@Global()
@Module({})
export class SigningModule {
  static register(config: SigningConfig): DynamicModule {
    return {
      module: SigningModule,
      providers: [
        {
          provide: LicenseSigner,
          // A factory, so a missing or bad key stops the start (SIGNING_KEY_INVALID) instead of the first signature.
          useFactory: async (): Promise<LicenseSigner> => {
            const logger = new Logger('Signing');
            const key = await loadOrCreateSigningKey(config.keyFile);
            const signer = new LicenseSigner(key.privateKey);
            logger.log({ msg: key.created ? 'signing key created' : 'signing key loaded', keyId: signer.keyId, keyFile: config.keyFile });
            if (process.platform !== 'win32' && (key.mode & 0o077) !== 0) {
              logger.warn({ msg: 'the signing key file can be read by other users; chmod 600 it', keyFile: config.keyFile, mode: key.mode.toString(8) });
            }
            return signer;
          },
        },
      ],
      controllers: [SigningKeyController],
      exports: [LicenseSigner],
    };
  }
}
