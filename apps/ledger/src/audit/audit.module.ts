import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';

/** Audit routes: histories of licenses (whole lineage), devices and accounts, and the global event feed. Read from the store itself. */
@Module({ controllers: [AuditController] })
export class AuditModule {}
