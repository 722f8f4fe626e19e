import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';

import { type AppConfig, CoreModule } from '@codexflow/core';
import { MonitoringModule } from '@codexflow/monitoring';

/** The HTTP service. Each domain module is one import here. */
@Module({})
export class AppModule {
  static register(config: AppConfig, extraImports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(config), MonitoringModule, ...extraImports],
    };
  }
}
