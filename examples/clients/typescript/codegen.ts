// Generates typed documents for the example operations from the committed schema.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../../schema.graphql',
  documents: ['../../queries/*.graphql'],
  generates: {
    './src/gql/': {
      preset: 'client',
      // Also writes persisted-documents.json ({ sha256: document }): the manifest a server
      // started with TRUSTED_DOCUMENTS loads, so that this client can send ids alone.
      presetConfig: { persistedDocuments: { hashAlgorithm: 'sha256' } },
      config: {
        // Exact decimals travel as strings, dates as ISO 8601 text (YYYY-MM-DD).
        scalars: { Decimal: 'string', Date: 'string', DatasetDocument: 'Record<string, unknown>' },
        documentMode: 'string',
        enumsAsTypes: true,
        strictScalars: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
