import { type DynamicModule, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import mongoose from 'mongoose';

import type { AppConfig } from '../config/app-config.js';
import { EmbeddedDatabase } from './embedded-database.js';

const DEFAULT_DATABASE_NAME = 'codexflow';

/** Where the service's database lives: MONGODB_URI, or an embedded server it started. */
export class DatabaseServer implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseServer.name);

  constructor(
    readonly uri: string,
    private readonly embedded?: EmbeddedDatabase,
  ) {}

  static async connect(config: AppConfig): Promise<DatabaseServer> {
    if (config.mongodbUri) {
      return new DatabaseServer(config.mongodbUri);
    }

    const logger = new Logger(DatabaseServer.name);
    logger.log(`starting the embedded database (FerretDB) with its data in ${config.dataDir}`);
    const embedded = await EmbeddedDatabase.start(config.dataDir, (line) =>
      logger.warn({ ferretdb: line }, 'embedded database log'),
    );
    logger.log('embedded database is accepting connections');
    return new DatabaseServer(embedded.uri, embedded);
  }

  /** The URI's database name, or `codexflow` when the URI names none. */
  get databaseName(): string {
    const path = new URL(this.uri.replace(/^mongodb(\+srv)?:/, 'http:')).pathname.slice(1);
    return decodeURIComponent(path) || DEFAULT_DATABASE_NAME;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.embedded) {
      await this.embedded.stop();
      this.logger.log('embedded database stopped');
    }
  }
}

/** Provides the DatabaseServer, started once per application. */
@Module({})
class DatabaseServerModule {}

/**
 * The mongoose connection. Filters from request input are sanitised and
 * unknown filter paths are dropped, whatever a service passes.
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    mongoose.set('sanitizeFilter', true);
    mongoose.set('strictQuery', true);

    const serverModule: DynamicModule = {
      module: DatabaseServerModule,
      providers: [{ provide: DatabaseServer, useFactory: () => DatabaseServer.connect(config) }],
      exports: [DatabaseServer],
    };

    return {
      module: DatabaseModule,
      global: true,
      imports: [
        serverModule,
        MongooseModule.forRootAsync({
          imports: [serverModule],
          inject: [DatabaseServer],
          useFactory: (server: DatabaseServer) => ({
            uri: server.uri,
            dbName: server.databaseName,
            autoIndex: !config.isProduction,
            serverSelectionTimeoutMS: 5_000,
            appName: 'codexflow',
          }),
        }),
      ],
      exports: [serverModule],
    };
  }
}
