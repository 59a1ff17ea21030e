-- Activities created before occurrences were stored: each gets its start as an occurrence. The
-- later occurrences of a recurring one are not expanded here (RRULE needs the application); such
-- an activity keeps counting from its first occurrence only, as it did before.
insert into activity_occurrences (activity_id, starts_at, day)
select a.id, a.starts_at, (a.starts_at at time zone 'Asia/Shanghai')::date
from activities a
on conflict do nothing;
--> statement-breakpoint
-- A one-off activity takes place at its start, however it was written (the API, a bulk load): the
-- database records that occurrence itself. A recurring one's are written by the application, which
-- expands its rule.
create function activities_one_off_occurrence() returns trigger language plpgsql as $$
begin
  if new.recurrence is null then
    insert into activity_occurrences (activity_id, starts_at, day)
    values (new.id, new.starts_at, (new.starts_at at time zone 'Asia/Shanghai')::date)
    on conflict do nothing;
  end if;
  return new;
end
$$;
--> statement-breakpoint
create trigger activities_one_off_occurrence after insert on activities
for each row execute function activities_one_off_occurrence();
