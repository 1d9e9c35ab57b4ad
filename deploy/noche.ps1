# La noche de batch en Windows, como la corre la tarea programada: la
# configuración de C:\ProgramData\batch, el resumen JSON en noche.json y lo
# que dice en noche.log. Si la noche termina mal —código 2: no se pudo hacer
# nada (token rechazado, disco lleno, otra noche en curso); 3: se
# interrumpió— deja un error en el Visor de eventos (registro Aplicación,
# origen «batch») con la ruta del resumen de la noche, para el monitoreo de
# la casa. El 1 (filas que atender) no es un fallo: la hoja Atención las
# lista. Sale con el código de batch, que la tarea muestra como su resultado.
param(
    [string]$Programa = "$env:ProgramFiles\batch\batch.exe",
    [string]$Datos = "$env:ProgramData\batch"
)
$json = Join-Path $Datos 'noche.json'
$registro = Join-Path $Datos 'noche.log'
& $Programa run --config (Join-Path $Datos 'config.toml') --quiet --json --esperar 2h 2> $registro | Set-Content -Encoding UTF8 $json
$codigo = $LASTEXITCODE
if ($codigo -ge 2) {
    $resumen = ''
    try { $resumen = (Get-Content -Raw -Encoding UTF8 $json | ConvertFrom-Json).resumen } catch { }
    if (-not $resumen) { $resumen = 'no se escribió' }
    $que = if ($codigo -eq 3) { 'se interrumpió (lo que no se envió queda PENDIENTE para la próxima noche)' } else { 'no pudo hacer su trabajo' }
    $texto = "La noche de batch $que (código $codigo). Resumen de la noche: $resumen. Lo que dijo batch: $registro. Lo pendiente: batch pendientes --config $Datos\config.toml"
    Write-EventLog -LogName Application -Source batch -EventId (100 + $codigo) -EntryType Error -Message $texto
}
exit $codigo
