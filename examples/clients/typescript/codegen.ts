// Generates typed documents for the example operations from the committed schema.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../../schema.graphql',
  documents: ['../../queries/*.graphql'],
  generates: {
    './src/gql/': {
      preset: 'client',
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
