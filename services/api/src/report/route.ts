import { withQuerySignal } from '@sixtype/db';
import type { GraphQLContext } from '@sixtype/graphql';
import type { ReportFileFormat } from '@sixtype/report';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { databaseFaultAnswer } from '../database.ts';
import { httpStatusOf } from '../errors.ts';
import type { Logger } from '../logger.ts';

const ROUTE = /^\/reports\/([^/]+)\/([^/]+)\/([^/]+)\.(md|html|pdf)$/;
/** A stored report (the worker's monthly ones): `/reports/generated/<campaign>/<unit>/<period>.<ext>`. */
const GENERATED_ROUTE = /^\/reports\/generated\/([^/]+)\/([^/]+)\/([^/]+)\.(md|html|pdf)$/;

/**
 * `GET /reports/<campaign>/<unit>/<period>.<md|html|pdf>` (`?scope=unit` for the unit alone): the
 * report as a file, for the same credentials and subtree rules as /graphql — the context is the
 * one a GraphQL request gets, and the report's figures come from executing the schema with it.
 * Errors answer as GraphQL does: `{ errors: [{ message, extensions: { code } }] }`.
 *
 * `GET /reports/generated/<campaign>/<unit>/<period>.<ext>`: a report the worker stored (the monthly
 * ones, announced by `report.ready`), as it was written, under the same check: the caller must be
 * allowed the live report of that unit with its subtree; NOT_FOUND when none was stored.
 */
export function useReportDownloads(options: {
  logger: Logger;
  createContext: (request: Request) => Promise<GraphQLContext>;
}): Plugin {
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (!url.pathname.startsWith('/reports/')) return;
      const answer = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
            status,
            headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
          }),
        );
      const generated = GENERATED_ROUTE.exec(url.pathname);
      const match = generated ?? ROUTE.exec(url.pathname);
      if (!match) return answer(404, 'NOT_FOUND', 'Reports are at /reports/<campaign>/<unit>/<period>.<md|html|pdf>');
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return answer(405, 'BAD_USER_INPUT', 'Reports are downloaded with GET');
      }
      const [, campaignCode, orgCode, period, format] = match.map((part) => decodeURIComponent(part)) as [
        string,
        string,
        string,
        string,
        ReportFileFormat,
      ];
      // Under the request's signal, like /graphql: a client that leaves cancels the statements.
      return withQuerySignal(request.signal, async () => {
        try {
          const { REPORT_CONTENT_TYPES, readGeneratedReport, resolveReportScope, writeReport } = await import(
            '@sixtype/report'
          );
          const context = await options.createContext(request);
          // A stored report is of the unit with its subtree: the caller needs the right to that report.
          const scope = await resolveReportScope(
            {
              campaignCode,
              orgCode,
              period,
              includeDescendants: generated !== null || url.searchParams.get('scope') !== 'unit',
            },
            context,
          );
          let body: string | Buffer;
          if (generated) {
            const file = await readGeneratedReport(context.db, {
              campaignCode: scope.campaignCode,
              orgCode: scope.orgCode,
              period: scope.period.label,
              format,
            });
            if (!file) {
              return answer(404, 'NOT_FOUND', `No ${scope.period.label} report of ${scope.orgCode} has been stored`);
            }
            body = file.content;
          } else {
            body = await writeReport(scope, context, format);
          }
          const fileName = `report-${scope.campaignCode}-${scope.orgCode}-${scope.period.label.replace(/\.\./g, '_')}.${format}`;
          endResponse(
            new fetchAPI.Response(typeof body === 'string' ? body : new Uint8Array(body), {
              status: 200,
              headers: {
                'content-type': REPORT_CONTENT_TYPES[format],
                'content-disposition': `${format === 'html' ? 'inline' : 'attachment'}; filename="${fileName}"`,
                // A live report is written from live figures on every request and a stored one names
                // cadres: no shared cache may keep a copy.
                'cache-control': generated ? 'private, no-cache' : 'no-store',
              },
            }),
          );
        } catch (error) {
          const code = error instanceof GraphQLError ? String(error.extensions.code ?? '') : '';
          const status = httpStatusOf(code);
          if (status < 500 && error instanceof GraphQLError) return answer(status, code, error.message);
          const fault = databaseFaultAnswer(error, options.logger, { path: url.pathname });
          if (fault) return answer(fault.status, fault.code, fault.message, fault.headers);
          options.logger.error({ err: error, path: url.pathname }, 'report failed');
          answer(500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
        }
      });
    },
  };
}
