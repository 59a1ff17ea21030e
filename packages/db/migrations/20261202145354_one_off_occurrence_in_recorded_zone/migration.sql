-- A one-off activity's occurrence, written by the database itself (see the activity_occurrences
-- migrations), takes its day in the installation's time zone: the one the API recorded in
-- system_settings on first start (clock.ts, TIME_ZONE), or Asia/Shanghai, TIME_ZONE's default, on a
-- database no API has started on yet.
create or replace function activities_one_off_occurrence() returns trigger language plpgsql as $$
begin
  if new.recurrence is null then
    insert into activity_occurrences (activity_id, starts_at, day)
    values (
      new.id,
      new.starts_at,
      (new.starts_at at time zone coalesce(
        (select value from system_settings where key = 'time_zone'), 'Asia/Shanghai'))::date
    )
    on conflict do nothing;
  end if;
  return new;
end
$$;
