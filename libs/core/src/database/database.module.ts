import { type DynamicModule, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getConnectionToken, MongooseModule } from '@nestjs/mongoose';
import mongoose, { type Connection } from 'mongoose';

import type { AppConfig } from '../config/app-config.js';
import { EmbeddedDatabase } from './embedded-database.js';

const DEFAULT_DATABASE_NAME = 'codexflow';

/** The service's database server: MONGODB_URI, or an embedded server it started. */
export class DatabaseServer implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseServer.name);

  private moduleRef?: ModuleRef;

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

  /**
   * Stops the embedded server after closing the connection to it; an open
   * connection would make the server wait for it before it exits.
   */
  async onApplicationShutdown(): Promise<void> {
    if (!this.embedded) {
      return;
    }
    const connection = this.moduleRef?.get<Connection>(getConnectionToken(), { strict: false });
    await connection?.close();
    await this.embedded.stop();
    this.logger.log('embedded database stopped');
  }

  attach(moduleRef: ModuleRef): this {
    this.moduleRef = moduleRef;
    return this;
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
      providers: [
        {
          provide: DatabaseServer,
          inject: [ModuleRef],
          useFactory: async (moduleRef: ModuleRef) =>
            (await DatabaseServer.connect(config)).attach(moduleRef),
        },
      ],
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
            // A database that is unreachable at start fails the start within seconds.
            retryAttempts: 2,
            retryDelay: 1_000,
          }),
        }),
      ],
      exports: [serverModule],
    };
  }
}
