# Instala la noche de batch en Windows: el programa en C:\Program Files\batch,
# sus datos en C:\ProgramData\batch (solo para la cuenta que corre la tarea y
# los administradores) y la tarea programada de las 2:00. Se puede correr de
# nuevo tras actualizar: reemplaza el programa y la tarea y conserva la
# configuración.
#
#   PowerShell como administrador, en la carpeta del zip:
#   .\instalar-windows.ps1 -Cuenta EMPRESA\batch
#
# Los secretos no van en la tarea ni en archivos: defínalos una vez en el
# entorno de esa cuenta (con la cuenta iniciada):
#   [Environment]::SetEnvironmentVariable('AFACTURAR_TOKEN_ACME', '…', 'User')
param(
    [Parameter(Mandatory = $true)][string]$Cuenta,
    [string]$Programa = "$env:ProgramFiles\batch",
    [string]$Datos = "$env:ProgramData\batch"
)
$ErrorActionPreference = 'Stop'
$aqui = Split-Path -Parent $MyInvocation.MyCommand.Path

New-Item -ItemType Directory -Force -Path $Programa | Out-Null
Copy-Item -Force (Join-Path $aqui 'batch.exe') (Join-Path $Programa 'batch.exe')
Copy-Item -Force (Join-Path $aqui 'noche.ps1') (Join-Path $Programa 'noche.ps1')
# El origen de los avisos de una noche que termina mal (noche.ps1), una vez.
if (-not [Diagnostics.EventLog]::SourceExists('batch')) {
    New-EventLog -LogName Application -Source batch
}

foreach ($d in @($Datos, "$Datos\entrada", "$Datos\resultados")) {
    New-Item -ItemType Directory -Force -Path $d | Out-Null
}
# Solo la cuenta de la tarea, SYSTEM y los administradores: sin herencia.
icacls $Datos /inheritance:r /grant:r "${Cuenta}:(OI)(CI)M" "SYSTEM:(OI)(CI)F" "Administrators:(OI)(CI)F" | Out-Null

$config = Join-Path $Datos 'config.toml'
if (Test-Path $config) {
    Write-Host "se conserva $config"
} else {
    Copy-Item (Join-Path $aqui 'config.toml.ejemplo') $config
    Write-Host "instalado $config (edítelo: rutas con comillas simples, 'C:\ProgramData\batch\entrada\acme\*.xlsx')"
}

$clave = Read-Host -AsSecureString "Contraseña de $Cuenta (para que la tarea corra sin sesión iniciada)"
$texto = [Runtime.InteropServices.Marshal]::PtrToStringAuto([Runtime.InteropServices.Marshal]::SecureStringToBSTR($clave))
$xml = Get-Content -Raw -Encoding Unicode (Join-Path $aqui 'tarea-programada.xml')
Register-ScheduledTask -TaskName 'batch-nocturno' -Xml $xml -User $Cuenta -Password $texto -Force | Out-Null
Write-Host "tarea batch-nocturno registrada (cada noche a las 2:00)."
Write-Host "Revise la noche antes de que corra: & '$Programa\batch.exe' config --config '$config'"
