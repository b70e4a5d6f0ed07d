import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule } from '@illbridge/common';

/** Staff actions on requests and their push to NACSIS-ILL through an ordered retry queue. */
@Module({})
export class ActionPushModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ActionPushModule, imports: [CoreModule.forRoot({ config, redisRole: 'producer' })] };
  }
}
