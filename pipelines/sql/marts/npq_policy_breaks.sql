-- One row per policy break in the NPQ series: where the target window starts and ends, and the
-- autumn 2024 narrowing of full funding. Charts and trends never join a line across a break.
SELECT *
FROM (
    VALUES
        ('target_window_start', '2021/22', 2021,
         'Target window opens: 150,000 funded courses from autumn 2021; all NPQs fully funded for state-funded schools from 12 October 2021',
         'DfE Teacher CPD design history; DfE announcement 2 June 2021'),
        ('target_window_end', '2024/25', 2024,
         'Target window closed at the end of spring 2024: years from 2024/25 do not count toward the 150,000',
         'DfE Teacher CPD design history (capping funded spaces)'),
        ('funding_narrowed', '2024/25', 2024,
         'From autumn 2024 full funding only for schools in the top 50% by pupil premium, except NPQH, NPQ for SENCOs and leading primary maths; funded places capped',
         'DfE funding guidance as quoted by teaching school hubs')
) AS policy_break(break_id, academic_year, year_start, description, source)
ORDER BY year_start, break_id
