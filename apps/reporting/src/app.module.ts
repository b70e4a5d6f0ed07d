import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule } from '@illbridge/common';

/** Monitor jobs, job reports, events reports, request lists with facets, the queue dashboard. */
@Module({})
export class ReportingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ReportingModule, imports: [CoreModule.forRoot({ config, redisRole: 'producer' })] };
  }
}
