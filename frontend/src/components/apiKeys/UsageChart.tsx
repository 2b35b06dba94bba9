import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Skeleton from "@mui/material/Skeleton";
import Typography from "@mui/material/Typography";
import { useTheme } from "@mui/material/styles";
import { BarChart } from "@mui/x-charts/BarChart";
import { useMemo } from "react";
import { describeError } from "../../api/problem";
import type { KeyUsage } from "../../api/types";
import { USAGE_DAYS, usageSeries } from "../../lib/usage";

interface Props {
  usage: KeyUsage | undefined;
  loading: boolean;
  error: unknown;
  onRetry: () => void;
}

/** Requests per day over the last 30 days (succeeded and refused, stacked), with totals as text. */
export default function UsageChart({ usage, loading, error, onRetry }: Props) {
  const theme = useTheme();
  const series = useMemo(() => (usage ? usageSeries(usage.days, USAGE_DAYS) : null), [usage]);

  let body;
  if (error && !usage) {
    body = (
      <Alert
        severity="error"
        action={
          <Button color="inherit" size="small" onClick={onRetry}>
            Retry
          </Button>
        }
      >
        Could not load the usage: {describeError(error)}
      </Alert>
    );
  } else if (!series) {
    body = loading ? <Skeleton variant="rounded" height={180} aria-label="Loading the usage" /> : null;
  } else {
    const empty = series.succeeded === 0 && series.refused === 0;
    body = (
      <>
        <Typography variant="body2" color="text.secondary" data-testid="usage-totals">
          {empty
            ? `No requests in the last ${USAGE_DAYS} days.`
            : `${series.succeeded.toLocaleString()} succeeded · ${series.refused.toLocaleString()} refused in the last ${USAGE_DAYS} days`}
        </Typography>
        {!empty && (
          // The totals above say it in words; the bars are for the eye.
          <Box aria-hidden sx={{ mx: -1 }} data-testid="usage-bars">
            <BarChart
              height={190}
              dataset={series.points.map((p) => ({ ...p }))}
              xAxis={[
                {
                  scaleType: "band",
                  dataKey: "label",
                  // A label every week, the last one being today.
                  tickLabelInterval: (_value: unknown, index: number) => (USAGE_DAYS - 1 - index) % 7 === 0,
                  tickLabelStyle: { fontSize: 11 },
                  height: 28,
                },
              ]}
              yAxis={[{ min: 0, tickMinStep: 1, width: 44, tickLabelStyle: { fontSize: 11 } }]}
              series={[
                { dataKey: "succeeded", label: "Succeeded", stack: "requests", color: theme.palette.success.main },
                { dataKey: "refused", label: "Refused", stack: "requests", color: theme.palette.error.light },
              ]}
              grid={{ horizontal: true }}
              margin={{ top: 8, right: 20, bottom: 4, left: 0 }}
              slotProps={{ legend: { position: { vertical: "top", horizontal: "end" } } }}
              skipAnimation
            />
          </Box>
        )}
      </>
    );
  }

  return (
    <Box
      component="section"
      role="figure"
      aria-labelledby="usage-heading"
      data-testid="usage-chart"
      sx={{ mt: 3, pt: 2, borderTop: 1, borderColor: "divider" }}
    >
      <Typography id="usage-heading" variant="subtitle2" component="h3" sx={{ mb: 0.5 }}>
        Requests per day, last {USAGE_DAYS} days
      </Typography>
      {body}
    </Box>
  );
}
