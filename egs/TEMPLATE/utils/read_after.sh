# read_after ME FILE FIRST LAST: read a job list's dependencies (local.sh and slurm.sh --after).
# Line i of FILE lists the jobs job FIRST+i-1 waits for, each an earlier job. Sets waits_for[job] (its line),
# level_of[job] (1 + the highest level among the jobs it waits for) and rounds (the highest level);
# a bad FILE is an error naming its line (status 1). The caller declares waits_for and level_of (-A).
read_after() {
  local me=$1 file=$2 first=$3 last=$4 j line d
  [ -f "$file" ] || { echo "$me: --after $file: no such file" >&2; return 1; }
  j=$((first - 1)); rounds=1
  while IFS= read -r line || [ -n "$line" ]; do
    j=$((j + 1)); level_of[$j]=1
    for d in $line; do
      if ! [[ $d =~ ^[0-9]+$ ]] || [ "$d" -lt "$first" ] || [ "$d" -ge "$j" ]; then
        echo "$me: $file line $((j - first + 1)): '$d' is not a job that runs before job $j (a number in" \
          "$first..$((j - 1))); each line lists the earlier jobs its job waits for" >&2
        return 1
      fi
      [ "${level_of[$d]}" -lt "${level_of[$j]}" ] || level_of[$j]=$((level_of[$d] + 1))
    done
    waits_for[$j]=$line
    [ "${level_of[$j]}" -le "$rounds" ] || rounds=${level_of[$j]}
  done < "$file"
  if [ "$j" -ne "$last" ]; then
    echo "$me: --after $file has $((j - first + 1)) line(s), one per job expected ($((last - first + 1)): JOB=$first:$last)" >&2
    return 1
  fi
}
