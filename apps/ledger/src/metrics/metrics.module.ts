import { Global, Module } from '@nestjs/common';
import { LedgerMetrics } from './ledger-metrics';
import { MetricsController } from './metrics.controller';

@Global()
@Module({ controllers: [MetricsController], providers: [LedgerMetrics], exports: [LedgerMetrics] })
export class MetricsModule {}
