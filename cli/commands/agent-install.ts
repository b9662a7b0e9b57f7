import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { missedBackupAlarm } from "../../lib/agent/alarm";
import { AgentCheckError } from "../../lib/agent/errors";
import { checkCloudWatch, checkRepository, s3Location } from "../../lib/agent/install";
import { cronLine, serviceUnit, timerUnit, UNIT_NAME } from "../../lib/agent/units";
import { agentSetup, reportAgentError } from "../agent-context";
import type { CliContext } from "../context";
import { EXIT } from "../errors";

export interface AgentInstallOptions {
  config?: string;
  unitDir?: string;
  cron?: boolean;
  command?: string;
  environmentFile?: string;
}

const DEFAULT_COMMAND = `${process.execPath} ${path.resolve(__dirname, "../../bin/snapfleet.js")}`;

/**
 * `snapfleet agent install`: checks the repository (creating it when it does not exist) and
 * CloudWatch, then writes the systemd service and timer (or prints the cron line).
 */
export default async function agentInstall(
  options: AgentInstallOptions,
  context: CliContext,
): Promise<number> {
  try {
    const setup = await agentSetup(options, context);
    try {
      const repo = await checkRepository(setup.config, {
        restic: setup.restic,
        upload: async (key, body) => {
          const where = s3Location(setup.config.repository);
          if (!where) throw new Error("not an S3 repository");
          const s3 = new S3Client({
            region: setup.config.region,
            endpoint: where.endpoint,
            forcePathStyle: setup.config.bucketLookup === "path",
            credentials: setup.credentials,
          });
          try {
            const Key = where.prefix ? `${where.prefix}/${key}` : key;
            await s3.send(new PutObjectCommand({ Bucket: where.bucket, Key, Body: body }));
          } finally {
            s3.destroy();
          }
        },
      });
      context.stderr.write(
        `repository ${setup.config.repository}: ${repo === "ok" ? "reachable" : "created"}\n`,
      );
      try {
        await checkCloudWatch(setup.cloudwatch, setup.config.namespace, setup.server, new Date());
      } catch (error) {
        throw new AgentCheckError(
          `CloudWatch PutMetricData in ${setup.config.namespace} failed: ${(error as Error).message}`,
        );
      }
      context.stderr.write(`CloudWatch: PutMetricData in ${setup.config.namespace} works\n`);
      if (setup.config.alarmTopicArn) {
        const alarm = missedBackupAlarm(setup.config, setup.server, setup.config.alarmTopicArn);
        try {
          await setup.cloudwatch.send(new PutMetricAlarmCommand(alarm));
        } catch (error) {
          throw new AgentCheckError(
            `CloudWatch PutMetricAlarm ${alarm.AlarmName} failed: ${(error as Error).message}`,
          );
        }
        context.stderr.write(`alarm ${alarm.AlarmName}: created or updated\n`);
      }
    } finally {
      setup.cloudwatch.destroy();
    }
    const props = {
      command: options.command ?? DEFAULT_COMMAND,
      configFile: path.resolve(setup.configFile),
      schedule: setup.config.schedule,
      environmentFile: options.environmentFile,
    };
    if (options.cron) {
      context.stdout.write(`${cronLine(props)}\n`);
      return EXIT.ok;
    }
    const dir = options.unitDir ?? "/etc/systemd/system";
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${UNIT_NAME}.service`), serviceUnit(props));
    writeFileSync(path.join(dir, `${UNIT_NAME}.timer`), timerUnit(props));
    context.stdout.write(
      `wrote ${path.join(dir, `${UNIT_NAME}.service`)} and ${UNIT_NAME}.timer\n` +
        `enable it with: systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}.timer\n`,
    );
    return EXIT.ok;
  } catch (error) {
    return reportAgentError(error, context);
  }
}
